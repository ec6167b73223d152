import { Client, type JSONRPCErrorResponse, type JSONRPCResponse } from '@modelcontextprotocol/client';

/**
 * The SDK's client, with one ordering fix: the SDK dispatches notifications a microtask late but
 * responses at once, so a progress notification that arrives right before its response (one
 * stdio chunk) finds the request already finished and is dropped. Dispatching responses a
 * microtask late too keeps them in wire order (SDK 2.4.0).
 */
export class UpstreamClient extends Client {
  protected override _onresponse(response: JSONRPCResponse | JSONRPCErrorResponse): void {
    queueMicrotask(() => super._onresponse(response));
  }
}
