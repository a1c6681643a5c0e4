"""A module class the torch flavor tests save and import back."""

from __future__ import annotations

import torch


class TinyNet(torch.nn.Module):
    def __init__(self, n_in: int = 4, hidden: int = 8) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2))
        self.head = self.body[2]  # a shared tensor: safetensors needs save_model for it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
