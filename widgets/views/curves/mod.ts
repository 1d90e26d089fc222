/**
 * The anywidget front-end module of the curves view (bundled by `deno task build`).
 *
 * @module
 */
import { anyWidget } from "../_shared/anywidget.ts";
import { CURVES_TRAITS, type CurvesState } from "./spec.ts";
import { render } from "./view.ts";

export default anyWidget<CurvesState>((el, state) => render(el, state), CURVES_TRAITS);
