"""The colours and transparency a PDF uses, read from its objects with pikepdf: the PDF/X checks.

PDF/X-1a allows only DeviceCMYK, DeviceGray (and spot colours) and no transparency;
no validator for it is on our registries, so the tests and `check` read the file itself.
"""

from __future__ import annotations

from pathlib import Path

RGB_OPERATORS = {"rg", "RG"}


def colour_spaces(path: Path) -> dict[str, int]:
    """How often each colour space is used in the file: operators (rg, k, g...) and images, forms included.

    For a PDF/X-1a check: a file is all CMYK or grey when no `DeviceRGB`, `ICCBased(3)`,
    `CalRGB` or `Lab` remains.
    """
    import pikepdf

    counts: dict[str, int] = {}

    def add(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/ShadingType") is not None:
                add(_space_name(obj.get("/ColorSpace")))  # a shading dictionary (of a shading pattern)
            if not isinstance(obj, pikepdf.Stream):
                continue
            kind = obj.get("/Subtype")
            if kind == "/Image":
                if obj.get("/ImageMask", False):
                    continue
                add(_space_name(obj.get("/ColorSpace")))
            elif kind == "/Form" or obj.get("/PatternType") is not None:
                _operators(obj, add)
                _resource_spaces(obj.get("/Resources"), add)
            if obj.get("/ShadingType") is not None:
                add(_space_name(obj.get("/ColorSpace")))
        for page in pdf.pages:
            _operators(page.obj, add)
            _resource_spaces(page.obj.get("/Resources"), add)
            shadings = (page.obj.get("/Resources") or {}).get("/Shading")
            if shadings is not None:
                for _, shading in shadings.items():
                    add(_space_name(shading.get("/ColorSpace")))
    return counts


def _resource_spaces(resources, add) -> None:
    spaces = resources.get("/ColorSpace") if resources is not None else None
    if spaces is not None:
        for _, space in spaces.items():
            add(_space_name(space))


def _operators(holder, add) -> None:
    import pikepdf

    names = {"rg": "DeviceRGB", "RG": "DeviceRGB", "k": "DeviceCMYK", "K": "DeviceCMYK", "g": "DeviceGray",
             "G": "DeviceGray", "cs": None, "CS": None}
    for operands, operator in pikepdf.parse_content_stream(holder):
        op = str(operator)
        if names.get(op):
            add(names[op])
        elif op in ("cs", "CS") and str(operands[0]) in ("/DeviceRGB", "/DeviceCMYK", "/DeviceGray"):
            add(str(operands[0]).lstrip("/"))  # a resource's name is counted with the resources


def _space_name(space) -> str:
    import pikepdf

    if space is None:
        return "none"
    if isinstance(space, pikepdf.Name):
        return str(space).lstrip("/")
    if isinstance(space, pikepdf.Array) and len(space):
        family = str(space[0]).lstrip("/")
        if family == "ICCBased":
            return f"ICCBased({int(space[1].get('/N', 0))})"
        if family == "Indexed":
            return f"Indexed({_space_name(space[1])})"
        return family
    return str(space)


def rgb_in(path: Path) -> list[str]:
    """The RGB colour spaces still used in the file (empty for a proper CMYK or grey file)."""
    rgb = ("DeviceRGB", "ICCBased(3)", "CalRGB", "Lab")
    return [name for name in colour_spaces(path) if any(r in name for r in rgb)]


def transparency_in(path: Path) -> list[str]:
    """What in the file is transparent (soft masks, constant alpha under 1, transparency groups); PDF/X-1a has none."""
    import pikepdf

    found = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                continue
            if obj.get("/Subtype") == "/Image" and "/SMask" in obj:
                found.append("an image with a soft mask")
            smask = obj.get("/SMask")
            if obj.get("/Type") == "/ExtGState" or "/ca" in obj or "/CA" in obj:
                if isinstance(smask, pikepdf.Dictionary):
                    found.append("a soft mask in a graphics state")
                for key in ("/ca", "/CA"):
                    if key in obj and float(obj[key]) < 1:
                        found.append(f"opacity {float(obj[key]):g}")
            group = obj.get("/Group")
            if isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
                found.append("a transparency group")
    return sorted(set(found))
