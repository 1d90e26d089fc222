/**
 * The plain data types every data source returns and every method takes.
 *
 * @module
 */

/** A labelled set of images, NHWC float32 in [0, 1]. */
export interface ImageSet {
  /** A short name for reports, e.g. "mnist/test". */
  name: string;
  /** Pixel values in [0, 1], length N·H·W·C, NHWC order. */
  images: Float32Array;
  /** [N, H, W, C]. */
  shape: [number, number, number, number];
  /** Class index of each image, length N. */
  labels: Int32Array;
  /** Name of each class, indexed by label. */
  classNames: string[];
}

/** A named concept that pixels can be labelled with (network dissection, Bau et al. 2017). */
export interface Concept<C extends string = string> {
  /** Index of the concept in its set's `concepts` array; the value stored in label maps. */
  id: number;
  /** Name, unique within the whole vocabulary (e.g. "red", "circle", "stripes", "sky"). */
  name: string;
  /** The category the concept belongs to (e.g. "color"). */
  category: C;
}

/**
 * An image set with per-pixel concept labels, the input of network dissection.
 *
 * Each category has one label map [N, H, W] (row-major, same H and W as the
 * images) holding at each pixel the id of the concept of that category present
 * there, or -1 where the category has no concept at that pixel.
 */
export interface ConceptSet<C extends string = string> extends ImageSet {
  /** Every concept of the vocabulary, `concepts[id].id === id`. */
  concepts: Concept<C>[];
  /** Per category, concept id per pixel or -1; each of length N·H·W. */
  labelMaps: Record<C, Int16Array>;
}

/** The concept categories of the synthetic concept scenes. */
export type SceneCategory = "color" | "shape" | "texture" | "background";

/** One object drawn in a synthetic scene. */
export interface SceneObject {
  /** Shape name (a concept of category "shape"). */
  shape: string;
  /** The object's main colour (a concept of category "color"). */
  color: string;
  /** The second colour of a two-colour texture; `null` for "solid". */
  color2: string | null;
  /** Texture name (a concept of category "texture"). */
  texture: string;
  /** Centre, in pixels from the top-left corner (x to the right, y down). */
  cx: number;
  /** Centre, in pixels from the top-left corner (x to the right, y down). */
  cy: number;
  /** Radius of the circle the shape is inscribed in, in pixels. */
  radius: number;
  /** Rotation of the shape in radians (clockwise on screen). */
  angle: number;
}

/** What one synthetic scene contains. */
export interface SceneInfo {
  /** Background name (a concept of category "background"). */
  background: string;
  /** The main object, whose shape is the image's class. */
  main: SceneObject;
  /** A smaller distractor object that does not overlap the main one, or `null`. */
  distractor: SceneObject | null;
}

/** Synthetic concept scenes (METHODS.md §8): images, exact per-pixel masks, and what was drawn. */
export interface SceneSet extends ConceptSet<SceneCategory> {
  /** 1 where the main object was painted, else 0; [N, H, W]. */
  objectMask: Uint8Array;
  /** What each scene contains, length N. */
  scenes: SceneInfo[];
}
