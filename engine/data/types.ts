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
