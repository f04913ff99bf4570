import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { Public } from '@app/service-core';

class EchoBody {
  @IsString() @MaxLength(50)
  name!: string;

  @IsOptional() @IsInt() @Min(0)
  count?: number;
}

/** Test-only routes that exercise the HTTP behaviour every product endpoint inherits. */
@Public()
@Controller('probe')
class ProbeController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Post('echo')
  echo(@Body() body: EchoBody): EchoBody {
    return body;
  }

  @Get('boom')
  boom(): never {
    throw new Error('internal detail: password=hunter2 at /srv/app/secret.ts:42');
  }

  @Get('db')
  async db(): Promise<{ ok: boolean }> {
    await this.dataSource.query('SELECT 1');
    return { ok: true };
  }

  @Throttle({ default: { limit: 2, ttl: 60_000 } })
  @Get('limited')
  limited(): { ok: boolean } {
    return { ok: true };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
