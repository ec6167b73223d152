/** Logged-model tools (spec §3 #25, 26). */
import { PythonError } from '../errors.js';
import { pyRepr, pyStr } from '../python-format.js';
import { loggedModelDict, type ToolHandlers } from './context.js';

/** `d["key"]` on a dict without it: Python's KeyError, whose str() is the key's repr. */
function required(d: Record<string, unknown>, key: string): unknown {
  if (!(key in d)) throw new PythonError(pyRepr(key));
  return d[key];
}

export const loggedModelTools: ToolHandlers = {
  /**
   * The REST client reads datasets[i]["dataset_name"] (and .get("dataset_digest")) and
   * order_by[i]["field_name"] (and .get("ascending", True)); the tool's docstring mentions
   * 'name'/'digest', which therefore fail with KeyError, as upstream.
   */
  search_logged_models: (a, ctx) => {
    const datasets = (a.optDictList('datasets') ?? []).map((d) => ({
      dataset_name: pyStr(required(d, 'dataset_name')),
      dataset_digest:
        d['dataset_digest'] === undefined || d['dataset_digest'] === null ? null : pyStr(d['dataset_digest']),
    }));
    const orderBy = (a.optDictList('order_by') ?? []).map((o) => {
      const field = ctx.store.tracking.parseLoggedModelOrderField(pyStr(required(o, 'field_name')));
      return { ...field, ascending: o['ascending'] === undefined ? true : Boolean(o['ascending']) };
    });
    return ctx.store.tracking
      .searchLoggedModels({
        experimentIds: a.strList('experiment_ids'),
        filter: a.optStr('filter_string'),
        maxResults: a.int('max_results'),
        datasets,
        orderBy,
      })
      .map(loggedModelDict);
  },

  get_logged_model: (a, ctx) => loggedModelDict(ctx.store.tracking.getLoggedModel(a.str('model_id'))),
};
