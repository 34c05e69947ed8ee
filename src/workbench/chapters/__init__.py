"""Report chapters and the Sozialraumprofil: each computes a protected model and renders views."""
