import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { InternalNetworkGuard } from 'nestjs-probes';
import {
  DEPENDENCIES,
  FAULT_MODES,
  isDependency,
  isFaultMode,
  type Dependency,
  type Faults,
} from './fault.model.js';
import { FaultsService } from './faults.service.js';

/**
 * Lets a person break a dependency and watch the probes react. A demo tool: only internal
 * callers may use it, and a real service would not expose anything like it.
 */
@Controller('admin/faults')
@UseGuards(InternalNetworkGuard)
export class FaultsController {
  constructor(private readonly faults: FaultsService) {}

  @Get()
  list(): Faults {
    return this.faults.list();
  }

  /** The mode comes from the body (`{"mode":"slow"}`) or the query (`?mode=slow`); default `down`. */
  @Post(':dependency')
  @HttpCode(HttpStatus.OK)
  inject(
    @Param('dependency') name: string,
    @Body('mode') bodyMode: unknown,
    @Query('mode') queryMode: unknown,
  ): Faults {
    const dependency = this.dependency(name);
    const mode = bodyMode ?? queryMode ?? 'down';
    if (!isFaultMode(mode)) {
      throw new BadRequestException(`mode must be one of ${FAULT_MODES.join(', ')}`);
    }
    this.faults.set(dependency, mode);
    return this.faults.list();
  }

  @Delete(':dependency')
  heal(@Param('dependency') name: string): Faults {
    this.faults.set(this.dependency(name), 'up');
    return this.faults.list();
  }

  private dependency(name: string): Dependency {
    if (!isDependency(name)) {
      throw new NotFoundException(`no dependency "${name}"; use ${DEPENDENCIES.join(' or ')}`);
    }
    return name;
  }
}
