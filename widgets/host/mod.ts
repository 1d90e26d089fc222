/**
 * The kernel side of the widgets: create and update anywidget widgets from
 * the Deno kernel, show progress, export self-contained pages.
 *
 * @module
 */
export {
  anywidgetVersion,
  type AnywidgetVersionOptions,
  DEFAULT_ANYWIDGET_VERSION,
  jupyterDataDirs,
} from "./anywidget_version.ts";
export { knownViews, viewModule, type ViewModuleOptions } from "./bundle.ts";
export { createDocument } from "./dom.ts";
export {
  type ExportableWidget,
  exportHtml,
  type ExportOptions,
  exportPage,
  scriptJson,
} from "./export.ts";
export { progressDisplay, type ProgressDisplayOptions } from "./progress.ts";
export {
  createWidget,
  type CreateWidgetOptions,
  WIDGET_PROTOCOL_VERSION,
  type WidgetHandle,
  widgetModelState,
} from "./widget.ts";
