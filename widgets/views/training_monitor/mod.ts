/**
 * The anywidget front-end module of the training monitor (bundled by `deno task build`).
 *
 * @module
 */
import { anyWidget } from "../_shared/anywidget.ts";
import { TRAINING_MONITOR_TRAITS, type TrainingMonitorState } from "./spec.ts";
import { render } from "./view.ts";

export default anyWidget<TrainingMonitorState>(
  (el, state) => render(el, state),
  TRAINING_MONITOR_TRAITS,
);
