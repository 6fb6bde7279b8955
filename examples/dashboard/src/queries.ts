// The dashboard's SQL, all of it. Every value from a request reaches the database as a `:name`
// parameter; the text of a request never becomes SQL. The statements are plain SQL that SQLite and
// PostgreSQL both run, which is what lets the secrets file alone choose the database.

/** The filter every chart shares. `:region = 'all'` turns the region test off. */
const FILTER = `(:region = 'all' or region = :region) and ordered_on between :from and :to`

/** Regions with their first and last order day: the page's region menu and date bounds. */
export const REGIONS_SQL = `
  select region, min(ordered_on) as first_day, max(ordered_on) as last_day, count(*) as lines
  from order_lines
  group by region
  order by region`

/** Revenue per month (the line chart). */
export const BY_MONTH_SQL = `
  select substr(ordered_on, 1, 7) as month, sum(quantity * unit_price) as revenue, count(*) as lines
  from order_lines
  where ${FILTER}
  group by substr(ordered_on, 1, 7)
  order by month`

/** Revenue per product, largest first (the bar chart). */
export const BY_PRODUCT_SQL = `
  select product, sum(quantity * unit_price) as revenue, sum(quantity) as units
  from order_lines
  where ${FILTER}
  group by product
  order by revenue desc, product`

/** The largest order lines (the table under the charts). */
export const TOP_LINES_SQL = `
  select id, ordered_on, region, product, customer, quantity, unit_price, quantity * unit_price as revenue
  from order_lines
  where ${FILTER}
  order by revenue desc, id
  limit :limit`

/** Every order line of the filter, for the download link (streamed, never cached). */
export const EXPORT_SQL = `
  select id, ordered_on, region, product, customer, quantity, unit_price
  from order_lines
  where ${FILTER}
  order by id`
