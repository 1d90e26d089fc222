/**
 * The anywidget front-end module of the neuron card (bundled by `deno task build`).
 *
 * @module
 */
import { anyWidget } from "../_shared/anywidget.ts";
import { NEURON_CARD_TRAITS, type NeuronCardState } from "./spec.ts";
import { render } from "./view.ts";

export default anyWidget<NeuronCardState>((el, state) => render(el, state), NEURON_CARD_TRAITS);
