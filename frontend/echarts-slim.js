// The dashboard's ECharts: only the charts and components static/js/dashboard.js uses (line, bar and
// pie; grid, tooltip and legend; the canvas renderer), bundled by esbuild (`npm run build:echarts`,
// run by `make deps`) into static/build/echarts-slim.min.js, which exposes window.echarts.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([LineChart, BarChart, PieChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);
window.echarts = echarts;
