/**
 * The registry: every measurable check of the audit, in form order. Adding a
 * check is one file in this folder and one line here; the form rows, the
 * batch summary's columns, the map's colours and legend all follow.
 */
import type { CheckDef } from '../check.js';
import { R1_1 } from './R1.1.js';
import { R2_1 } from './R2.1.js';
import { R2_2 } from './R2.2.js';
import { R2_3 } from './R2.3.js';
import { R3_1 } from './R3.1.js';
import { R3_2 } from './R3.2.js';
import { R3_3 } from './R3.3.js';
import { R4_1 } from './R4.1.js';
import { R4_2 } from './R4.2.js';
import { R5_1 } from './R5.1.js';
import { R5_2 } from './R5.2.js';
import { R5_3 } from './R5.3.js';
import { R5_4 } from './R5.4.js';

export const CHECKS: readonly CheckDef[] = [R1_1, R2_1, R2_2, R2_3, R3_1, R3_2, R3_3, R4_1, R4_2, R5_1, R5_2, R5_3, R5_4];
