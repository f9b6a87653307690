"""Camera and USB-scanner input: frames in, ScanResult out. Never imports Kivy."""

from kiosk.scanner.camera import Scanner
from kiosk.scanner.debounce import Debouncer
from kiosk.scanner.pipeline import DecodePipeline, FrameDecode
from kiosk.scanner.result import CameraStatus, ScanResult
from kiosk.scanner.sources import (
    CameraSettings,
    FolderSource,
    SimulatedCamera,
    SourceUnavailable,
    VideoCaptureSource,
    open_source,
)
from kiosk.scanner.wedge import WedgeDecoder

__all__ = [
    "CameraSettings",
    "CameraStatus",
    "DecodePipeline",
    "Debouncer",
    "FolderSource",
    "FrameDecode",
    "ScanResult",
    "Scanner",
    "SimulatedCamera",
    "SourceUnavailable",
    "VideoCaptureSource",
    "WedgeDecoder",
    "open_source",
]
