/**
 * The anywidget front-end module of the explorer (bundled by `deno task build`).
 *
 * @module
 */
import { anyWidget } from "../_shared/anywidget.ts";
import { EXPLORER_TRAITS, type ExplorerState } from "./spec.ts";
import { render } from "./view.ts";

export default anyWidget<ExplorerState>((el, state) => render(el, state), EXPLORER_TRAITS);
