/// <reference lib="dom" />
/**
 * The anywidget front-end module shared by every view: reads the traits from
 * the model, restores typed arrays ({@link fromWire}), renders, and redraws
 * when the kernel pushes new state.
 *
 * Browser-safe: no Deno APIs.
 *
 * @module
 */
import { fromWire } from "./wire.ts";

/** The part of anywidget's model a view uses. */
export interface AnyModel {
  get(key: string): unknown;
  on(event: string, cb: () => void): void;
  off(event?: string | null, cb?: (() => void) | null): void;
}

/** A view's render function (see each view's `view.ts`). */
export type RenderFn<S> = (el: HTMLElement, state: S) => () => void;

/**
 * Builds the default export of a view's `mod.ts`.
 *
 * @param render the view's render
 * @param traits the state keys to read from the model (absent ones are skipped)
 * @returns `{ render({ model, el }) }` as anywidget expects; its render returns the cleanup
 */
export function anyWidget<S>(
  render: RenderFn<S>,
  traits: readonly string[],
): { render(ctx: { model: AnyModel; el: HTMLElement }): () => void } {
  return {
    render({ model, el }) {
      const read = (): S => {
        const state: Record<string, unknown> = {};
        for (const k of traits) {
          const v = model.get(k);
          if (v !== undefined && v !== null) state[k] = fromWire(v);
        }
        return state as S;
      };
      let cleanup = draw();
      function draw(): () => void {
        try {
          return render(el, read());
        } catch (err) {
          // Show the problem in the output instead of a blank cell.
          const pre = el.ownerDocument.createElement("pre");
          pre.setAttribute("data-testid", "view-error");
          pre.textContent = String(err instanceof Error ? err.message : err);
          el.append(pre);
          return () => pre.remove();
        }
      }
      // One kernel update changes several traits: redraw once, after all of them.
      let pending = false;
      const redraw = () => {
        if (pending) return;
        pending = true;
        queueMicrotask(() => {
          pending = false;
          cleanup();
          cleanup = draw();
        });
      };
      for (const k of traits) model.on(`change:${k}`, redraw);
      return () => {
        for (const k of traits) model.off(`change:${k}`, redraw);
        cleanup();
      };
    },
  };
}
