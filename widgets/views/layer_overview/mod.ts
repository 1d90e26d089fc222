/**
 * The anywidget front-end module of the layer overview (bundled by `deno task build`).
 *
 * @module
 */
import { anyWidget } from "../_shared/anywidget.ts";
import { LAYER_OVERVIEW_TRAITS, type LayerOverviewState } from "./spec.ts";
import { render } from "./view.ts";

export default anyWidget<LayerOverviewState>(
  (el, state) => render(el, state),
  LAYER_OVERVIEW_TRAITS,
);
