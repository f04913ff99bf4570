/** Everything a suite needs: `import { defineSuite, startApp, compareLoad, ... } from '../lib';` */
export * from './app';
export * from './compare';
export * from './config';
export * from './load';
export * from './micro';
export * from './processes';
export * from './report';
export * from './stats';
export * from './suite';
