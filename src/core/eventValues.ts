/**
 * The zod shapes of the values events carry in every module: ids, amounts of money in cents, quantities.
 * Defined once, so the domain events and the integration events validate them alike.
 */
import { z } from 'zod';

export const Id = z.string().min(1);
/** An amount of money in minor units (cents); never negative. */
export const Cents = z.number().int().min(0);
/** A number of units on a line or a stock movement: at least one. */
export const Quantity = z.number().int().min(1);
