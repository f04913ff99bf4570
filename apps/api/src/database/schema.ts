import { SchemaDefinition } from '@app/service-core';

/** Every entity and migration of the service, in one list the app, the CLI and the tests share. */
export const schema: SchemaDefinition = {
  entities: [],
  migrations: [],
};
