"""A household file from uploaded exports, in the browser (notebook 00).

Upload the files downloaded from the brokers, choose a folder, press the button: the files
are saved there and a commented ``household.toml`` is written beside them
(:func:`toolkit.onboarding.household_template`), shown below for filling in. The same as
``python -m toolkit init``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

import ipywidgets as W

from toolkit.display import no_math
from toolkit.errors import HouseholdError
from toolkit.onboarding import FILL_IN, InitResult, write_household_template
from toolkit.widgets._base import ErrorBox

__all__ = ["HOUSEHOLD_FILE", "InitApp", "InitModel"]

#: The name of the household file written into the chosen folder.
HOUSEHOLD_FILE = "household.toml"


class InitModel:
    """Saves uploaded exports into a folder and writes the household file (no widgets)."""

    @staticmethod
    def write(files: Iterable[tuple[str, bytes]], folder, *, name: str | None = None,
              replace: bool = False) -> tuple[Path, InitResult]:
        """Save ``files`` into ``folder`` and write ``folder/household.toml`` for them.

        Parameters
        ----------
        files : iterable of (file name, content)
            Only the name's last part is used (no folders from the upload).
        folder : str or Path
            Created if missing.
        name : str, optional
            The household's name.
        replace : bool, default False
            Replace an existing household file (and same-named exports).

        Returns
        -------
        (Path, InitResult)
            The household file and what was read.

        Raises
        ------
        HouseholdError
            If nothing was uploaded, or the files exist and ``replace`` is False.
        """
        files = [(Path(str(n)).name, bytes(c)) for n, c in files]
        if not files:
            raise HouseholdError("upload at least one export first")
        d = Path(str(folder)).expanduser()
        out = d / HOUSEHOLD_FILE
        if out.exists() and not replace:
            raise HouseholdError(f"{out} exists: tick 'replace' or choose another folder")
        d.mkdir(parents=True, exist_ok=True)
        saved = []
        for fname, content in files:
            p = d / fname
            if p.exists() and not replace and p.read_bytes() != content:
                raise HouseholdError(f"{p} exists with other content: tick 'replace' or "
                                     "choose another folder")
            p.write_bytes(content)
            saved.append(p)
        return out, write_household_template(saved, out, force=True, name=name)


class InitApp:
    """File upload, folder, name and a button; the household file written, shown below.

    Build it, then show ``app.root`` (the constructor displays nothing).

    Parameters
    ----------
    folder : str or Path, optional
        Where to save (default ``./my_household`` in the notebook's folder).
    """

    def __init__(self, folder=None) -> None:
        self.model = InitModel()
        self.errors = ErrorBox()
        self.upload = W.FileUpload(accept=".csv,.xml,.xlsx,.json,.ofx,.qfx,.txt",
                                   multiple=True, description="Exports")
        self.folder = W.Text(value=str(Path(folder) if folder is not None
                                       else Path.cwd() / "my_household"),
                             description="Folder", layout=W.Layout(width="520px"))
        self.name = W.Text(value="", placeholder="optional", description="Name",
                           layout=W.Layout(width="520px"))
        self.replace = W.Checkbox(value=False, description="replace existing files",
                                  indent=False)
        self.button = W.Button(description="Write household file", icon="file",
                               button_style="primary", layout=W.Layout(width="220px"))
        self.button.on_click(self.errors.guard(self._on_write))
        self.status = W.HTML()
        self.text = W.HTML()
        self.written: Path | None = None
        self.result: InitResult | None = None
        self.root = W.VBox([
            W.HTML("<b>Start from your own exports</b>: upload the files your brokers let you "
                   "download; a household file is written for them, to fill in."),
            self.upload, self.folder, self.name, W.HBox([self.button, self.replace]),
            self.errors.widget, self.status, self.text])

    def _on_write(self, _button) -> None:
        files = [(f["name"], f["content"]) for f in self.upload.value]
        out, r = self.model.write(files, self.folder.value, name=self.name.value or None,
                                  replace=bool(self.replace.value))
        self.written, self.result = out, r
        fill = r.text.count(FILL_IN)
        skipped = "".join(f"<li>{html.escape(p.name)}: {html.escape(why)}</li>"
                          for p, why in r.not_loaded.items())
        self.status.value = no_math(
            f"Wrote <code>{html.escape(str(out))}</code> from {len(r.exports)} export(s): "
            f"replace the {fill} <code>{FILL_IN}</code> placeholder(s), look at the "
            "<code>CHECK</code> lines, then set <code>HOUSEHOLD</code> above to this file."
            + (f"<ul>{skipped}</ul>" if skipped else ""))
        self.text.value = no_math(f"<pre>{html.escape(r.text)}</pre>")
