import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, ReadinessCheck } from './readiness';

@Module({})
export class HealthModule {
  /** Readiness always checks the database; `checks` add other dependencies (from `imports`). */
  static forRoot(options: { imports?: ModuleMetadata['imports']; checks?: Type<ReadinessCheck>[] } = {}): DynamicModule {
    const checks = options.checks ?? [];
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECKS, inject: checks, useFactory: (...instances: ReadinessCheck[]) => instances }],
    };
  }
}
