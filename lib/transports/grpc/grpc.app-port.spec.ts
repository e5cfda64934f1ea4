import { describe, expect, it } from '@jest/globals';
import { checkGrpcPeers } from './grpc.app-port.js';

describe("the gRPC health service on the app's gRPC servers", () => {
  it('stops start-up naming the packages to install when they are missing', () => {
    expect(() => checkGrpcPeers((pkg) => pkg === '@grpc/proto-loader')).toThrow(
      `HealthModule option "grpc" serves the gRPC health service through Nest's gRPC transport, which needs "@nestjs/microservices", "@grpc/grpc-js": they are not installed. Install them: npm install @nestjs/microservices @grpc/grpc-js`,
    );
    expect(() => checkGrpcPeers(() => true)).not.toThrow();
  });
});
