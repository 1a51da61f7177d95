/**
 * The demo shop the seed loads: a kitchen and home catalog, its customers, what they buy together and why
 * they cancel. Data only; what happens to each order is drawn in orderPlan.ts.
 */

export interface DemoProduct {
  readonly productId: string;
  readonly category: 'coffee & tea' | 'cookware' | 'baking' | 'tableware' | 'home';
  readonly name: string;
  readonly priceCents: number;
  readonly initialStock: number;
  readonly lowStockThreshold: number;
}

const product = (
  productId: string,
  category: DemoProduct['category'],
  name: string,
  priceCents: number,
  initialStock: number,
  lowStockThreshold = 5,
): DemoProduct => ({ productId, category, name, priceCents, initialStock, lowStockThreshold });

/** Thresholds close to the stock (kettle, whetstone, baking mat, serving bowl) make low-stock alerts show early. */
export const DEMO_CATALOG: readonly DemoProduct[] = [
  product('sku-burr-grinder', 'coffee & tea', 'Conical Burr Coffee Grinder', 8900, 70),
  product('sku-french-press', 'coffee & tea', 'French Press, 1 L', 3400, 80),
  product('sku-pour-over', 'coffee & tea', 'Ceramic Pour-Over Dripper', 2400, 60),
  product('sku-paper-filters', 'coffee & tea', 'Paper Coffee Filters, 100 pack', 599, 220, 20),
  product('sku-gooseneck-kettle', 'coffee & tea', 'Gooseneck Kettle, 0.9 L', 5900, 14, 12),
  product('sku-stoneware-mug', 'coffee & tea', 'Stoneware Mug', 1450, 160, 15),
  product('sku-teapot', 'coffee & tea', 'Cast-Iron Teapot', 4200, 30),
  product('sku-tea-infuser', 'coffee & tea', 'Stainless Tea Infuser', 850, 90),
  product('sku-chefs-knife', 'cookware', "Chef's Knife, 20 cm", 7900, 60),
  product('sku-cutting-board', 'cookware', 'Walnut Cutting Board', 4900, 50),
  product('sku-whetstone', 'cookware', 'Whetstone Sharpener', 3200, 10, 8),
  product('sku-cast-iron-skillet', 'cookware', 'Cast-Iron Skillet, 26 cm', 4500, 60),
  product('sku-dutch-oven', 'cookware', 'Enamelled Dutch Oven, 5 L', 12900, 24),
  product('sku-wooden-spoons', 'cookware', 'Olive Wood Spoons, set of 3', 1900, 120),
  product('sku-spatula-set', 'cookware', 'Silicone Spatula Set', 1600, 100),
  product('sku-saucepan', 'cookware', 'Stainless Saucepan, 2 L', 5400, 40),
  product('sku-mixing-bowls', 'baking', 'Nesting Mixing Bowls', 3600, 60),
  product('sku-kitchen-scale', 'baking', 'Digital Kitchen Scale', 2900, 60),
  product('sku-loaf-pan', 'baking', 'Loaf Pan', 1800, 60),
  product('sku-baking-tray', 'baking', 'Half-Sheet Baking Tray', 2100, 70),
  product('sku-cooling-rack', 'baking', 'Cooling Rack', 1500, 70),
  product('sku-baking-mat', 'baking', 'Silicone Baking Mat', 1700, 9, 8),
  product('sku-rolling-pin', 'baking', 'Beech Rolling Pin', 2200, 40),
  product('sku-dinner-plates', 'tableware', 'Stoneware Dinner Plates, set of 4', 5600, 50),
  product('sku-linen-napkins', 'tableware', 'Linen Napkins, set of 4', 3200, 60),
  product('sku-wine-glasses', 'tableware', 'Wine Glasses, pair', 2800, 70),
  product('sku-serving-bowl', 'tableware', 'Ash Wood Serving Bowl', 3900, 12, 10),
  product('sku-cutlery-set', 'tableware', 'Cutlery Set, 16 pieces', 6900, 35),
  product('sku-soy-candle', 'home', 'Soy Candle, Fig', 2400, 80),
  product('sku-throw-blanket', 'home', 'Wool Throw Blanket', 8900, 30),
  product('sku-storage-jars', 'home', 'Glass Storage Jars, set of 3', 2700, 60),
  product('sku-pumpkin-candle', 'home', 'Pumpkin Spice Candle (seasonal)', 2200, 30),
];

/** Added, then discontinued: a few customers still try to buy it. */
export const DISCONTINUED = 'sku-pumpkin-candle';

/**
 * What people buy together. An order starts from one basket, mostly its first product, and adds more of
 * the same basket, so "bought with" recommendations have something to find.
 */
export const BASKETS: ReadonlyArray<{ readonly weight: number; readonly productIds: readonly string[] }> = [
  { weight: 3, productIds: ['sku-pour-over', 'sku-paper-filters', 'sku-gooseneck-kettle', 'sku-burr-grinder', 'sku-stoneware-mug'] },
  { weight: 3, productIds: ['sku-french-press', 'sku-burr-grinder', 'sku-stoneware-mug'] },
  { weight: 2, productIds: ['sku-teapot', 'sku-tea-infuser', 'sku-stoneware-mug'] },
  { weight: 3, productIds: ['sku-chefs-knife', 'sku-cutting-board', 'sku-whetstone'] },
  { weight: 3, productIds: ['sku-cast-iron-skillet', 'sku-wooden-spoons', 'sku-spatula-set', 'sku-dutch-oven', 'sku-saucepan'] },
  { weight: 2, productIds: ['sku-loaf-pan', 'sku-mixing-bowls', 'sku-kitchen-scale', 'sku-cooling-rack'] },
  { weight: 2, productIds: ['sku-baking-tray', 'sku-baking-mat', 'sku-cooling-rack', 'sku-rolling-pin', 'sku-mixing-bowls'] },
  { weight: 3, productIds: ['sku-dinner-plates', 'sku-linen-napkins', 'sku-wine-glasses', 'sku-serving-bowl', 'sku-cutlery-set'] },
  { weight: 2, productIds: ['sku-soy-candle', 'sku-throw-blanket', 'sku-stoneware-mug'] },
  { weight: 1, productIds: ['sku-storage-jars', 'sku-kitchen-scale', 'sku-wooden-spoons'] },
];

export interface DemoCustomer {
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
}

const CUSTOMER_NAMES = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Katherine Johnson',
  'Edsger Dijkstra',
  'Barbara Liskov',
  'Donald Knuth',
  'Margaret Hamilton',
  'Tony Hoare',
  'Frances Allen',
  'John McCarthy',
  'Radia Perlman',
  'Ken Thompson',
  'Hedy Lamarr',
  'Dennis Ritchie',
  'Annie Easley',
  'Niklaus Wirth',
  'Adele Goldberg',
  'Leslie Lamport',
  'Karen Sparck Jones',
];

export const DEMO_CUSTOMERS: readonly DemoCustomer[] = CUSTOMER_NAMES.map((name, i) => ({
  customerId: `cust-${String(i + 1).padStart(3, '0')}`,
  name,
  email: `${name.toLowerCase().replaceAll(' ', '.')}@example.com`,
}));

/** Who cancels an order: its customer, or the shop (fulfilment staff). */
export type Canceller = 'customer' | 'fulfilment';

/** Why orders get cancelled, and by whom. */
export const CANCELLATIONS: ReadonlyArray<{ readonly reason: string; readonly by: Canceller }> = [
  { reason: 'customer changed their mind', by: 'customer' },
  { reason: 'found it cheaper elsewhere', by: 'customer' },
  { reason: 'ordered by mistake', by: 'customer' },
  { reason: 'delivery too slow', by: 'customer' },
  { reason: 'damaged in the warehouse', by: 'fulfilment' },
  { reason: 'delivery address could not be verified', by: 'fulfilment' },
];
