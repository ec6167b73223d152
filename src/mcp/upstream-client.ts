import { Client, type JSONRPCErrorResponse, type JSONRPCResponse } from '@modelcontextprotocol/client';
import { isCreateTaskResultV2 } from '@modelcontextprotocol/ext-tasks/core/v2';

/** Where a task result rides past the SDK's result decoding (never on the wire). */
const CARRIED_TASK = 'airlock.internal/task-result';

type Json = Record<string, unknown>;

/**
 * The SDK's client, with two fixes (SDK 2.4.0):
 *
 * - Ordering: the SDK dispatches notifications a microtask late but responses at once, so a
 *   progress notification that arrives right before its response (one stdio chunk) finds the
 *   request already finished and is dropped. Responses are dispatched a microtask late too.
 * - Tasks: the SDK answers a `resultType: "task"` result (the tasks extension's CreateTaskResult)
 *   with an "unsupported result type" error. Such a result is carried inside a plain result
 *   through the decoder and taken out again by `carriedTask`, byte for byte.
 */
export class UpstreamClient extends Client {
  protected override _onresponse(response: JSONRPCResponse | JSONRPCErrorResponse): void {
    const carried = carryTask(response);
    queueMicrotask(() => super._onresponse(carried));
  }
}

function carryTask(response: JSONRPCResponse | JSONRPCErrorResponse): JSONRPCResponse | JSONRPCErrorResponse {
  if (!('result' in response)) return response;
  const result = response.result as Json;
  if (result['resultType'] === 'task' && isCreateTaskResultV2(result)) {
    return { ...response, result: { resultType: 'complete', content: [], _meta: { [CARRIED_TASK]: result } } };
  }
  const meta = result['_meta'] as Json | undefined;
  // Only Airlock puts this key there: an upstream's own is dropped, so it cannot pass as a task.
  if (meta !== undefined && CARRIED_TASK in meta) {
    const { [CARRIED_TASK]: _forged, ...rest } = meta;
    return { ...response, result: { ...result, _meta: rest } };
  }
  return response;
}

/** The task result an upstream answered, when `result` carries one (see UpstreamClient). */
export function carriedTask(result: Json): Json | undefined {
  const meta = result['_meta'] as Json | undefined;
  return meta?.[CARRIED_TASK] as Json | undefined;
}
