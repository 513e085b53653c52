"""The studio: a local web page to drive, watch and evaluate the face (`mirrorface studio`)."""
