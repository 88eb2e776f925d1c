"""Everything that vets what a book may load or emit: the resource policy, the HTML sanitizer,
SVG and image checks, stylesheets, the template sandbox. A security review starts here."""
