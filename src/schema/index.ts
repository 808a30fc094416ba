// Imports each type file for its side effects, then builds the schema.
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './userError.js';
import './connection.js';
import './associate.js';
import './apiKey.js';
import './eventType.js';
import './webhook.js';
import './delivery.js';

export const schema = lexicographicSortSchema(builder.toSchema());
