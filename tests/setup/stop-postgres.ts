import { stopSharedPostgres } from '../helpers/postgres.js';

// A test file's shared PostgreSQL server (HUB_DATABASE=postgres) ends with the file, not with the worker process.
afterAll(stopSharedPostgres);
