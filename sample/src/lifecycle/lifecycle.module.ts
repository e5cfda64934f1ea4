import { Module } from '@nestjs/common';
import { LifecycleController } from './lifecycle.controller.js';

@Module({ controllers: [LifecycleController] })
export class LifecycleModule {}
