/**
 * The anywidget front-end module of the pruning curves (bundled by `deno task build`).
 *
 * @module
 */
import { anyWidget } from "../_shared/anywidget.ts";
import { PRUNING_TRAITS, type PruningState } from "./spec.ts";
import { render } from "./view.ts";

export default anyWidget<PruningState>((el, state) => render(el, state), PRUNING_TRAITS);
