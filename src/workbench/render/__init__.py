"""Rendering: German formatting, colours, tables (HTML/XLSX), matplotlib charts, SVG and maps."""
