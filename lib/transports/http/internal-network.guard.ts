import {
  ForbiddenException,
  Injectable,
  NotFoundException,
  type CanActivate,
  type ExecutionContext,
  type HttpException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { rawRequest, type HttpRequest } from './http.request.js';
import { NetworkPolicy } from '../../core/network.policy.js';

export type { HttpRequest } from './http.request.js';

/**
 * Admits only clients from the internal networks, as the module's options define them (see
 * `NetworkPolicy`). Use it on your own routes with `@UseGuards(InternalNetworkGuard)`; extend it
 * and override `admits()` (or the protected hooks) to admit more, for example a caller with a token.
 * Works on Express and Fastify.
 */
@Injectable()
export class InternalNetworkGuard implements CanActivate {
  /** Whether a subclass left the hooks alone, so the policy's memo can answer for them. */
  private readonly usesDefaultHooks: boolean;

  constructor(protected readonly policy: NetworkPolicy) {
    this.usesDefaultHooks =
      this.getClientAddress === InternalNetworkGuard.prototype.getClientAddress &&
      this.isInternalAddress === InternalNetworkGuard.prototype.isInternalAddress;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    // Fail closed outside HTTP: there is no network address to judge.
    if (context.getType() !== 'http') return false;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const admitted = this.admits(request);
    // Only a real `true` admits: an override returning anything else fails closed.
    const decide = (internal: unknown) => {
      if (internal === true) return true;
      throw this.denial(request);
    };
    return typeof (admitted as PromiseLike<boolean> | null)?.then === 'function'
      ? Promise.resolve(admitted).then(decide)
      : decide(admitted);
  }

  /** Whether the request may see internal details. Override to admit more callers. */
  admits(request: HttpRequest): boolean | Promise<boolean> {
    // The common case, answered by the policy's memo, while no hook has been overridden.
    if (this.usesDefaultHooks) {
      const raw = rawRequest(request);
      return this.policy.isInternalPeer(raw.socket?.remoteAddress, raw.headers ?? {});
    }
    return this.isInternalAddress(this.getClientAddress(request));
  }

  /** The client's address (the socket peer, or what trusted proxies report); `undefined` if unknown. */
  protected getClientAddress(request: HttpRequest): string | undefined {
    const raw = rawRequest(request);
    return this.policy.clientAddress(raw.socket?.remoteAddress, raw.headers ?? {});
  }

  /** Whether an address lies in `internalNetworks`; an unknown address is external. */
  protected isInternalAddress(address: string | undefined): boolean {
    return this.policy.isInternal(address);
  }

  /** What an external caller gets: 403, or a 404 like Nest's own when the route is to stay hidden. */
  denial(request: HttpRequest): HttpException {
    if (this.policy.deniedStatus === 403) return new ForbiddenException();
    const raw = rawRequest(request) as IncomingMessage & { originalUrl?: string };
    return new NotFoundException(`Cannot ${raw.method} ${raw.originalUrl ?? raw.url}`);
  }
}
