// What the global `echarts` of both bundles offers: what the page scripts and the
// browser tests call. Anything else of echarts/core is left out of the bundles.
export { dispose, getInstanceByDom, getMap, init, registerMap, use, version } from "echarts/core";
