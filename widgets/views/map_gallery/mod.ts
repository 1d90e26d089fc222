/**
 * The anywidget front-end module of the map gallery (bundled by `deno task build`).
 *
 * @module
 */
import { anyWidget } from "../_shared/anywidget.ts";
import { MAP_GALLERY_TRAITS, type MapGalleryState } from "./spec.ts";
import { render } from "./view.ts";

export default anyWidget<MapGalleryState>((el, state) => render(el, state), MAP_GALLERY_TRAITS);
