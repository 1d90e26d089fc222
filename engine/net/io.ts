/**
 * Reading and writing tfjs LayersModels as `model.json` plus weight files,
 * from paths or URLs, with errors that name the file that is wrong.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import { type Net, wrapModel, type WrapOptions } from "./net.ts";

/** Options of {@link loadNet}. */
export type LoadOptions = WrapOptions;

interface ModelJson {
  modelTopology: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
  format?: string;
}

/**
 * Loads a tfjs LayersModel from a `model.json` path, `file:` URL or
 * `http(s):` URL and wraps it as a {@link Net}.
 *
 * @param location path or URL of `model.json`
 * @param options see {@link WrapOptions}
 * @returns the Net (dispose its model with `disposeNet` when done)
 * @throws {Error} naming the file when it is missing, not JSON, not a
 *   LayersModel, or its weights are missing or of the wrong size
 */
export async function loadNet(location: string | URL, options: LoadOptions = {}): Promise<Net> {
  const url = toUrl(location);
  const json = await readJson(url);
  const specs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
  const paths = (json.weightsManifest ?? []).flatMap((g) => g.paths);
  const buffers: Uint8Array[] = [];
  for (const p of paths) buffers.push(await readBytes(new URL(p, url)));
  const weightData = concat(buffers);
  const expected = specs.reduce((sum, s) => sum + byteSize(s), 0);
  if (weightData.byteLength !== expected) {
    throw new Error(
      `Weights of ${url.href} hold ${weightData.byteLength} bytes; the manifest describes ${expected}`,
    );
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as object,
    weightSpecs: specs,
    weightData: weightData.buffer as ArrayBuffer,
  };
  if (json.userDefinedMetadata) {
    artifacts.userDefinedMetadata = json.userDefinedMetadata as Record<string, object>;
  }
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new Error(`${url.href} is not a loadable tfjs LayersModel: ${(e as Error).message}`);
  }
  const name = options.name ?? decodeURIComponent(url.pathname.split("/").slice(-2, -1)[0] ?? "");
  return wrapModel(model, { ...options, name: name || model.name });
}

/**
 * Saves a model as `model.json` + `weights.bin` in a folder (created if
 * needed), with optional metadata such as class names.
 *
 * @param model the model to save
 * @param dir the folder
 * @param metadata stored as `userDefinedMetadata` (e.g. `{ classNames }`)
 * @returns the number of bytes written
 */
export async function saveModel(
  model: tfl.LayersModel,
  dir: string,
  metadata: Record<string, unknown> = {},
): Promise<number> {
  await Deno.mkdir(dir, { recursive: true });
  let written = 0;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = artifacts.weightData;
    const bytes = data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : concat((data ?? []).map((b) => new Uint8Array(b)));
    const json: ModelJson = {
      format: "layers-model",
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
      userDefinedMetadata: metadata,
    };
    const text = JSON.stringify(json);
    await Deno.writeFile(`${dir}/weights.bin`, bytes);
    await Deno.writeTextFile(`${dir}/model.json`, text);
    written = bytes.byteLength + text.length;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  return written;
}

function toUrl(location: string | URL): URL {
  if (location instanceof URL) return location;
  if (/^(https?|file):/.test(location)) return new URL(location);
  const abs = location.startsWith("/") ? location : `${Deno.cwd()}/${location}`;
  return new URL(`file://${abs.split("/").map(encodeURIComponent).join("/")}`);
}

async function readBytes(url: URL): Promise<Uint8Array> {
  try {
    if (url.protocol === "file:") return await Deno.readFile(url);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new Error(`Cannot read ${url.href}: ${(e as Error).message}`);
  }
}

async function readJson(url: URL): Promise<ModelJson> {
  const text = new TextDecoder().decode(await readBytes(url));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${url.href} is not valid JSON: ${(e as Error).message}`);
  }
  const j = json as ModelJson;
  if (typeof j !== "object" || j === null || !j.modelTopology) {
    throw new Error(`${url.href} has no "modelTopology": not a tfjs LayersModel model.json`);
  }
  return j;
}

function byteSize(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const per = spec.dtype === "float32" || spec.dtype === "int32"
    ? 4
    : spec.dtype === "bool"
    ? 1
    : 4;
  if (spec.quantization) {
    const q = spec.quantization.dtype;
    return n * (q === "uint8" ? 1 : q === "uint16" || q === "float16" ? 2 : 4);
  }
  return n * per;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
