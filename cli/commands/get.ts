// mk8s get: kubectl get. Tables come from the server (as kubectl asks for
// them: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), so columns
// and cells are the server's printers; this prints them with kubectl's
// decorations and tabwriter. Other -o formats print the full objects.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { CliError, errorText } from '../errors.js';
import { parseResourceArgs, kindString, type ResourceRef } from '../resolve.js';
import { fetchObjects, fetchTable, listAll, TABLE_ACCEPT, withType, type Selection } from '../objects.js';
import { parseOutput, type OutputFormat } from '../printers/format.js';
import { printTable, type Table } from '../printers/table.js';
import { TabWriter } from '../printers/tabwriter.js';
import { resourcePath } from '../../client/http.js';
import type { KubeObject, Status, WatchEvent } from '../../api/types.js';
import { ApiError } from '../../api/status.js';

export const getFlags: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string', usage: 'Output format: json, yaml, name, wide, jsonpath=..., jsonpath-as-json=..., custom-columns=...' },
  { name: 'selector', short: 'l', type: 'string', usage: "Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'." },
  { name: 'field-selector', type: 'string', usage: 'Selector (field query) to filter on, e.g. status.phase=Running.' },
  { name: 'all-namespaces', short: 'A', type: 'bool', usage: 'List the requested object(s) across all namespaces.' },
  { name: 'show-labels', type: 'bool', usage: 'When printing, show all labels as the last column.' },
  { name: 'show-kind', type: 'bool', usage: 'If present, list the resource type for the requested object(s).' },
  { name: 'no-headers', type: 'bool', usage: 'When using the default or custom-column output format, don\'t print headers.' },
  { name: 'label-columns', short: 'L', type: 'stringSlice', usage: 'Labels to show as columns.' },
  { name: 'watch', short: 'w', type: 'bool', usage: 'After listing/getting the requested object, watch for changes.' },
  { name: 'watch-only', type: 'bool', usage: 'Watch for changes to the requested object(s), without listing/getting first.' },
  { name: 'sort-by', type: 'string', usage: 'Sort list types using this field specification (a JSONPath expression).' },
  { name: 'filename', short: 'f', type: 'stringSlice', usage: 'Filename, directory, or URL to files identifying the resource to get.' },
  { name: 'recursive', short: 'R', type: 'bool' },
  { name: 'ignore-not-found', type: 'bool', usage: 'If the requested object does not exist the command will return exit code 0.' },
  { name: 'chunk-size', type: 'int', default: 500 },
  { name: 'output-watch-events', type: 'bool' },
];

/** resource.MultipleTypesRequested: `all`, `a,b`, or `a/x b/y` with different type strings. */
export function multipleTypesRequested(args: string[]): boolean {
  if (args.length === 1 && args[0] === 'all') return true;
  const kinds = new Set<string>();
  for (const a of args) {
    const slash = a.indexOf('/');
    if (slash < 0) {
      if (a.includes(',') && new Set(a.split(',').filter(Boolean)).size > 1) return true;
      continue;
    }
    kinds.add(a.slice(0, slash));
  }
  return kinds.size > 1;
}

async function refsFor(ctx: Ctx): Promise<{ refs: ResourceRef[]; single: boolean }> {
  if (ctx.flags.filename.length) {
    const { readManifests } = await import('../manifests.js');
    const ms = await readManifests(ctx.flags.filename, ctx.flags.recursive, 'get');
    const refs: ResourceRef[] = [];
    for (const m of ms) {
      const last = refs[refs.length - 1];
      if (last && last.type === m.type) last.names.push(m.obj.metadata.name!);
      else refs.push({ type: m.type, names: [m.obj.metadata.name!] });
    }
    return { refs, single: ms.length === 1 };
  }
  if (ctx.args.length === 0) {
    throw new CliError(
      'You must specify the type of resource to get. Use "mk8s api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse "mk8s explain <resource>" for a detailed description of that resource (e.g. mk8s explain pods).\nSee \'mk8s get -h\' for help and examples',
    );
  }
  const refs = parseResourceArgs(ctx.args);
  // singleItemImplied: exactly `TYPE NAME` or `TYPE/NAME`.
  const single = (ctx.args.length === 2 && !ctx.args[0].includes(',') && !ctx.args[0].includes('/') && ctx.args[0] !== 'all') || (ctx.args.length === 1 && ctx.args[0].includes('/'));
  return { refs, single };
}

/** A separator-aware sink: the blank line between kinds is written only if more output follows. */
class Sink {
  written = 0;
  pendingSeparator = false;
  constructor(private readonly out: (s: string) => void) {}
  write = (s: string) => {
    if (!s) return;
    if (this.pendingSeparator) {
      this.out('\n');
      this.pendingSeparator = false;
    }
    this.written += s.length;
    this.out(s);
  };
}

/** kubectl's sort for --sort-by: numbers by value, everything else as strings. */
async function sortByPath<T>(items: T[], objOf: (t: T) => unknown, expr: string): Promise<void> {
  const { relaxedJsonPath, parseJsonPath, evalPath } = await import('../printers/jsonpath.js');
  const jp = parseJsonPath(relaxedJsonPath(expr));
  const a = jp.actions[0];
  if (!a || a.t !== 'paths' || a.items[0].t !== 'path') throw new CliError(`error: invalid --sort-by ${expr}`);
  const segs = a.items[0].segs;
  const keyed = items.map((item, i) => ({ item, i, v: evalPath(segs, [objOf(item)], objOf(item))[0] }));
  if (items.length > 0 && keyed.every((k) => k.v === undefined)) {
    throw new CliError(`error: couldn't find any field with path "${relaxedJsonPath(expr)}" in the list of objects`);
  }
  keyed.sort((x, y) => {
    const a1 = x.v;
    const b1 = y.v;
    if (a1 === undefined && b1 === undefined) return x.i - y.i;
    if (a1 === undefined) return -1;
    if (b1 === undefined) return 1;
    if (typeof a1 === 'number' && typeof b1 === 'number') return a1 - b1 || x.i - y.i;
    const sa = typeof a1 === 'string' ? a1 : JSON.stringify(a1);
    const sb = typeof b1 === 'string' ? b1 : JSON.stringify(b1);
    return sa < sb ? -1 : sa > sb ? 1 : x.i - y.i;
  });
  keyed.forEach((k, i) => (items[i] = k.item));
}

async function printTables(ctx: Ctx, refs: ResourceRef[], sel: Selection, fmt: OutputFormat, withKind: boolean): Promise<number> {
  const client = await ctx.client();
  const sink = new Sink((s) => ctx.out.write(s));
  const tw = new TabWriter(sink.write);
  const sortBy: string = ctx.flags['sort-by'];
  const errors: unknown[] = [];
  let last: ResourceRef | undefined;
  // Fetch concurrently, print in order.
  const fetched = refs.map((ref) => fetchTable(client, ref, sel, sortBy ? 'Object' : undefined));
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i];
    const { value: table, errors: errs } = await fetched[i];
    errors.push(...errs);
    if (!table) continue;
    if (sortBy) await sortByPath(table.rows, (r) => r.object, sortBy);
    if (last?.type !== ref.type) {
      tw.flush();
      tw.resetWidths();
      if (last && !ctx.flags['no-headers'] && sink.written > 0) sink.pendingSeparator = true;
    }
    printTable(table, tw, {
      wide: fmt.kind === 'wide',
      noHeaders: ctx.flags['no-headers'],
      withNamespace: !!ctx.flags['all-namespaces'] && ref.type.namespaced,
      kind: withKind ? kindString(ref.type) : undefined,
      showLabels: ctx.flags['show-labels'],
      labelColumns: ctx.flags['label-columns'],
    }, last?.type !== ref.type);
    last = ref;
  }
  tw.flush();
  return finish(ctx, refs, sel, errors, sink.written > 0);
}

function finish(ctx: Ctx, refs: ResourceRef[], sel: Selection, errors: unknown[], wroteSomething: boolean): number {
  const shown = ctx.flags['ignore-not-found'] ? errors.filter((e) => (e as { code?: number }).code !== 404) : errors;
  for (const e of shown) ctx.err.write(errorText(e) + '\n');
  if (!wroteSomething && shown.length === 0 && !ctx.flags['ignore-not-found']) {
    const allNamespaced = !ctx.flags['all-namespaces'] && refs.every((r) => r.type.namespaced);
    ctx.err.write(allNamespaced ? `No resources found in ${sel.namespace} namespace.\n` : 'No resources found\n');
  }
  return shown.length ? 1 : 0;
}

async function printObjects(ctx: Ctx, refs: ResourceRef[], sel: Selection, fmt: OutputFormat, single: boolean): Promise<number> {
  const client = await ctx.client();
  const fetched = await Promise.all(refs.map((ref) => fetchObjects(client, ref, sel)));
  const objects: KubeObject[] = [];
  const errors: unknown[] = [];
  for (const f of fetched) {
    objects.push(...f.value.map((o) => withType(f.ref.type, o)));
    errors.push(...f.errors);
  }
  if (single && errors.length) throw errors[0];
  if (ctx.flags['sort-by']) await sortByPath(objects, (o) => o, ctx.flags['sort-by']);
  const { printGeneric } = await import('../printers/output.js');
  printGeneric(fmt, objects, single, (s) => ctx.out.write(s), ctx.flags['no-headers']);
  const shown = ctx.flags['ignore-not-found'] ? errors.filter((e) => (e as { code?: number }).code !== 404) : errors;
  for (const e of shown) ctx.err.write(errorText(e) + '\n');
  return shown.length ? 1 : 0;
}

async function watch(ctx: Ctx, refs: ResourceRef[], sel: Selection, fmt: OutputFormat, withKind: boolean): Promise<number> {
  if (refs.length !== 1 || refs[0].names.length > 1) {
    throw new CliError(`error: watch is only supported on individual resources and resource collections, but ${refs.reduce((n, r) => n + Math.max(1, r.names.length), 0)} resources were found`);
  }
  const ref = refs[0];
  const client = await ctx.client();
  const ns = ref.type.namespaced ? sel.namespace : undefined;
  const fieldSelector = [sel.fieldSelector, ref.names[0] ? `metadata.name=${ref.names[0]}` : ''].filter(Boolean).join(',') || undefined;
  const listSel = { ...sel, fieldSelector };
  const human = fmt.kind === 'table' || fmt.kind === 'wide';
  const tw = new TabWriter((s) => ctx.out.write(s));
  const opts = {
    wide: fmt.kind === 'wide',
    noHeaders: ctx.flags['no-headers'],
    withNamespace: !!ctx.flags['all-namespaces'] && ref.type.namespaced,
    kind: withKind ? kindString(ref.type) : undefined,
    showLabels: ctx.flags['show-labels'],
    labelColumns: ctx.flags['label-columns'],
  };
  let columns: Table['columnDefinitions'] = [];
  let printedHeaders = false;
  let printedObjects = 0;
  const { printGeneric } = await import('../printers/output.js');
  const printObj = (o: KubeObject) => {
    if (fmt.kind === 'yaml' && printedObjects > 0) ctx.out.write('---\n');
    printGeneric(fmt, [withType(ref.type, o)], true, (s) => ctx.out.write(s));
    printedObjects++;
  };
  const printT = (t: Table) => {
    if (t.columnDefinitions?.length) columns = t.columnDefinitions;
    const table = { columnDefinitions: columns, rows: t.rows ?? [] };
    if (printTable(table, tw, opts, !printedHeaders) > 0) printedHeaders = true;
    tw.flush();
  };
  const initial = await listAll(client, ref.type, listSel, human ? TABLE_ACCEPT : undefined);
  if (!ctx.flags['watch-only']) {
    if (human) {
      printT(initial);
      if (!initial.rows?.length) {
        const allNamespaced = !ctx.flags['all-namespaces'] && ref.type.namespaced;
        ctx.err.write(allNamespaced ? `No resources found in ${sel.namespace} namespace.\n` : 'No resources found\n');
      }
    } else for (const o of initial.items ?? []) printObj(o);
  } else if (human && initial.columnDefinitions) columns = initial.columnDefinitions;
  let failure: unknown;
  const h = client.watch(
    resourcePath(ref.type, ns),
    { resourceVersion: initial.metadata?.resourceVersion, labelSelector: sel.labelSelector, fieldSelector },
    (ev: WatchEvent) => {
      if (ev.type === 'BOOKMARK') return;
      if (ev.type === 'ERROR') {
        failure = new ApiError(ev.object as unknown as Status);
        h.close();
        return;
      }
      if (human) printT(ev.object as unknown as Table);
      else printObj(ev.object);
    },
    human ? TABLE_ACCEPT : undefined,
  );
  ctx.closers.push(() => h.close());
  await h.done;
  if (failure) throw failure;
  return 0;
}

const get: Command = {
  use: 'get [(-o|--output=)json|yaml|name|wide|jsonpath=...|custom-columns=...] (TYPE[.VERSION][.GROUP] [NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags]',
  short: 'Display one or many resources',
  flags: getFlags,
  async run(ctx) {
    const fmt = parseOutput(ctx.flags.output);
    const { refs, single } = await refsFor(ctx);
    const allNs = !!ctx.flags['all-namespaces'];
    if (allNs && refs.some((r) => r.names.length > 0) && !ctx.flags.filename.length) {
      throw new CliError('error: a resource cannot be retrieved by name across all namespaces');
    }
    const sel: Selection = {
      namespace: allNs ? undefined : await ctx.namespace(),
      labelSelector: ctx.flags.selector || undefined,
      fieldSelector: ctx.flags['field-selector'] || undefined,
    };
    const withKind = ctx.flags['show-kind'] || multipleTypesRequested(ctx.args) || (ctx.flags.filename.length > 0 && new Set(refs.map((r) => r.type)).size > 1);
    if (ctx.flags.watch || ctx.flags['watch-only']) return watch(ctx, refs, sel, fmt, withKind);
    if (fmt.kind === 'table' || fmt.kind === 'wide') return printTables(ctx, refs, sel, fmt, withKind);
    return printObjects(ctx, refs, sel, fmt, single);
  },
};

export default get;