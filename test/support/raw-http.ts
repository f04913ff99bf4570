import { request as httpRequest } from 'node:http';

export interface RawHttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface RawHttpRequest {
  readonly method: string;
  /** The request target, sent byte for byte (fetch and supertest would normalise dot segments and escapes). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
}

/**
 * One HTTP/1.1 request to 127.0.0.1:`port`, exactly as given, on a connection of its own (a refusal that closes the
 * connection cannot spill into the next request). A body always goes with its Content-Length: Node's client would
 * send the body of a GET or DELETE unframed otherwise.
 */
export function rawHttp(port: number, { method, path, headers = {}, body }: RawHttpRequest): Promise<RawHttpAnswer> {
  const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const call = httpRequest({ host: '127.0.0.1', port, path, method, headers: framed, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    call.on('error', reject);
    call.end(body);
  });
}
