/** The product decider: which command does what, over the state and evolve in product.ts. */
import { assertNever, type Decider } from '../core/decider.ts';
import { addProduct, type AddProduct } from './addProduct.ts';
import { changeProductPrice, type ChangeProductPrice } from './changeProductPrice.ts';
import { discontinueProduct, type DiscontinueProduct } from './discontinueProduct.ts';
import { evolveProduct, initialProduct, PRODUCT_SNAPSHOTS, type Product } from './product.ts';
import type { ProductEvent } from './productEvents.ts';
import { releaseStock, type ReleaseStock } from './releaseStock.ts';
import { reserveStock, type ReserveStock } from './reserveStock.ts';
import { restockProduct, type RestockProduct } from './restockProduct.ts';
import { shipReservedStock, type ShipReservedStock } from './shipReservedStock.ts';

/** What a shop manager does to the catalog. */
export type CatalogCommand = AddProduct | ChangeProductPrice | RestockProduct | DiscontinueProduct;
/** What orders do to stock: reserve on placing, release on cancelling, ship on shipping. */
export type StockCommand = ReserveStock | ReleaseStock | ShipReservedStock;
export type ProductCommand = CatalogCommand | StockCommand;

export const productDecider: Decider<ProductCommand, ProductEvent, Product> = {
  decide(command, state) {
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
  },
  evolve: evolveProduct,
  initialState: initialProduct,
  snapshots: PRODUCT_SNAPSHOTS,
};
