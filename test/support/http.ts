import type { INestApplication } from '@nestjs/common';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: unknown;
}

export interface RawRequest {
  path: string;
  /** The address the server sees as its peer: any 127.x address, or ::1. */
  from?: string;
  headers?: OutgoingHttpHeaders;
}

/**
 * A GET on a new connection (as the kubelet makes), from a chosen loopback source address, so
 * that the server sees a chosen socket peer.
 */
export function rawGet(port: number, { path, from = '127.0.0.1', headers = {} }: RawRequest) {
  const host = from.includes(':') ? '::1' : '127.0.0.1';
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      { host, port, path, localAddress: from, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Listens on every interface (IPv4 and IPv6) on a free port, and returns the port. */
export async function listen(app: INestApplication): Promise<number> {
  await app.listen(0, '::');
  return (app.getHttpServer().address() as AddressInfo).port;
}
