import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthIndicator, HealthModule } from './dist/index.js';
import { ProbeServer } from './dist/probe-server.js';

class Db { async check() { return { status: 'pass' }; } }
HealthIndicator({ name: 'db' })(Db); Injectable()(Db);
class AppModule {}
Module({ imports: [HealthModule.forRoot({ probeServer: { port: 0 }, groups: { g: { include: ['db'] } } })], providers: [Db] })(AppModule);
const app = await NestFactory.create(AppModule, { logger: ['error','warn','log'] });
await app.listen(0);
const port = app.get(ProbeServer).port;
console.log('probe port', port);
await new Promise(r => setTimeout(r, 300));
for (const p of ['/health/live', '/health/ready', '/health/startup', '/health/deep', '/health/g', '/health/g/db', '/health/ready?verbose', '/health/nope', '/health/ready?exclude=db&exclude=x']) {
  const r = await fetch(`http://127.0.0.1:${port}${p}`);
  console.log(p, r.status, r.headers.get('content-type'), (await r.text()).slice(0, 200));
}
const t = Date.now(); while (Date.now() - t < 1500); // block main loop 1.5 s
await app.close();
console.log('closed', process.getActiveResourcesInfo());
