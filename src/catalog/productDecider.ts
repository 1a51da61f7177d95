/** The product decider: which command does what, over the state and evolve in product.ts. */
import { assertNever, type Decider } from '../core/decider.ts';
import { productEvolution, type Product } from './product.ts';
import {
  addProduct,
  changeProductPrice,
  discontinueProduct,
  restockProduct,
  type ProductCatalogCommand,
} from './productCommands.ts';
import type { ProductEvent } from './productEvents.ts';
import { releaseStock, reserveStock, shipReservedStock, type StockCommand } from './stockCommands.ts';

export type ProductCommand = ProductCatalogCommand | StockCommand;

export function decideProduct(command: ProductCommand, state: Product): ProductEvent[] {
  switch (command.type) {
    case 'AddProduct':
      return addProduct(command, state);
    case 'ChangeProductPrice':
      return changeProductPrice(command, state);
    case 'RestockProduct':
      return restockProduct(command, state);
    case 'DiscontinueProduct':
      return discontinueProduct(command, state);
    case 'ReserveStock':
      return reserveStock(command, state);
    case 'ReleaseStock':
      return releaseStock(command, state);
    case 'ShipReservedStock':
      return shipReservedStock(command, state);
    default:
      return assertNever(command);
  }
}

export const productDecider: Decider<ProductCommand, ProductEvent, Product> & typeof productEvolution = {
  ...productEvolution,
  decide: decideProduct,
};
