/**
 * The anywidget front-end module of the ranking view (bundled by `deno task build`).
 *
 * @module
 */
import { anyWidget } from "../_shared/anywidget.ts";
import { RANKING_TRAITS, type RankingState } from "./spec.ts";
import { render } from "./view.ts";

export default anyWidget<RankingState>((el, state) => render(el, state), RANKING_TRAITS);
