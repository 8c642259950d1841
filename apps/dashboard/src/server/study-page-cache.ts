import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { refreshTrials, type Store, type StoredTrial } from "@bayestune/store";
import type { StudyPageData } from "../report/report-data.js";
import type { ModelViews } from "../plot-data/model-views.js";
import { studyViews } from "../report/report-data.js";
import type { ModelRunner } from "./model-runner.js";

/** The encodings the page data is served in: brotli at quality 4 (smaller and faster than gzip's default), gzip for plain HTTP, where browsers do not offer brotli. */
export type PageEncoding = "br" | "gzip";
export const PAGE_ENCODINGS: PageEncoding[] = ["br", "gzip"];
const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
const compressors: Record<PageEncoding, (json: string) => Promise<Buffer>> = {
  br: (json) => brotliAsync(json, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }),
  gzip: (json) => gzipAsync(json),
};

/** A study's page data, serialised (and compressed) once per read however many pages fetch it, with its entity tag. */
export interface CachedPage {
  readonly data: StudyPageData;
  readonly json: string;
  /** A strong ETag of `json`: a page whose copy is current gets 304 and no body. */
  readonly etag: string;
  /** `json` compressed, in zlib's thread pool, on the first call for each encoding only. */
  encoded(encoding: PageEncoding): Promise<Buffer>;
}

/** A study's trials as last read, to read again only what can have changed; `createdAt` tells a study recreated under the same name. */
export interface KnownTrials {
  readonly createdAt: number;
  readonly trials: readonly StoredTrial[];
}

interface Entry {
  readAt: number;
  page: Promise<CachedPage | undefined>;
  known?: KnownTrials;
  /** The latest fit, of the finished-trial set `fingerprint`; `settled` once it has answered. */
  model?: { fingerprint: string; settled?: ModelViews };
  /** The last model fit that finished: served while a newer one is being fitted. */
  lastModel?: ModelViews;
}

/** What the model sees of the history: which trials have finished, and how. A new result changes it; a progress report does not. */
function finishedFingerprint(trials: readonly StoredTrial[]): string {
  return trials
    .filter((t) => t.state !== "running")
    .map((t) => `${t.number}:${t.state}:${t.rung}`)
    .join(",");
}

/**
 * Each study's page data, read from the store at most once per `minIntervalMs`
 * however many pages poll it, with the model refitted only after a trial
 * finishes, one fit at a time (the previous model is served while it runs): the
 * dashboard's load on Redis and on the CPU is bounded by the interval and the
 * number of studies watched, not by its viewers.
 */
export class StudyPageCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Pick<Store, "getStudy" | "getTrial" | "getTrials">,
    private readonly models: Pick<ModelRunner, "views">,
    private readonly minIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The study's views and model, or undefined when there is no such study. */
  get(name: string): Promise<CachedPage | undefined> {
    const entry = this.entries.get(name);
    if (entry !== undefined && this.now() - entry.readAt < this.minIntervalMs) return entry.page;
    const next: Entry = {
      readAt: this.now(),
      page: Promise.resolve(undefined),
      ...(entry?.known !== undefined ? { known: entry.known } : {}),
      ...(entry?.model !== undefined ? { model: entry.model } : {}),
      ...(entry?.lastModel !== undefined ? { lastModel: entry.lastModel } : {}),
    };
    next.page = this.read(name, next);
    // A failed read (Redis away) is not kept: the next poll tries again.
    next.page.catch(() => {
      if (this.entries.get(name) === next) this.entries.delete(name);
    });
    this.entries.set(name, next);
    return next.page;
  }

  private async read(name: string, entry: Entry): Promise<CachedPage | undefined> {
    const study = await this.store.getStudy(name);
    if (study === undefined) return undefined;
    const trials = await readTrials(this.store, study, entry.known);
    entry.known = { createdAt: study.createdAt, trials };
    const fingerprint = finishedFingerprint(trials);
    // One fit at a time per study: a set of finished trials that changes while a fit runs is fitted on the first
    // read after that fit ends. (Starting a new fit on every change would never finish one on a study whose trials
    // finish faster than its model fits.)
    const fitting = entry.model !== undefined && entry.model.settled === undefined;
    if (entry.model?.fingerprint !== fingerprint && !fitting) {
      if (entry.model?.settled !== undefined) entry.lastModel = entry.model.settled;
      const model: NonNullable<Entry["model"]> = { fingerprint };
      void this.models
        .views(study.config, trials)
        .catch((error: unknown): ModelViews => ({ available: false, reason: `the model could not be fitted: ${(error as Error).message}` }))
        .then((views) => {
          model.settled = views;
        });
      entry.model = model;
    }
    // While a fit runs (seconds on a long study), the previous model is served, or before the first one a note:
    // the trials' views never wait for the model.
    const model = entry.model?.settled ?? entry.lastModel ?? { available: false, reason: "the model is being fitted; it appears on a later update" };
    const data: StudyPageData = { views: studyViews(study, trials), model };
    const json = JSON.stringify(data);
    const encodings: Partial<Record<PageEncoding, Promise<Buffer>>> = {};
    const encoded = (encoding: PageEncoding): Promise<Buffer> => (encodings[encoding] ??= compressors[encoding](json));
    return { data, json, etag: `"${createHash("sha1").update(json).digest("base64url")}"`, encoded };
  }
}

/**
 * The study's trials, reading again only those that can have changed since `known`
 * (see refreshTrials): at thousands of trials a refresh reads a few, not all.
 */
export function readTrials(
  store: Pick<Store, "getTrial" | "getTrials">,
  study: { readonly name: string; readonly createdAt: number },
  known: KnownTrials | undefined,
): Promise<StoredTrial[]> {
  return refreshTrials(store, study.name, known?.createdAt === study.createdAt ? known.trials : undefined);
}
