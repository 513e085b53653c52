"""Names shared by the dataset writer, readers and models (LeRobot-style feature keys)."""

TIMESTAMP = "timestamp"  # seconds since the start of the episode
FRAME_INDEX = "frame_index"  # index within the episode
EPISODE_INDEX = "episode_index"
INDEX = "index"  # global frame index over the dataset
ACTION = "action"  # commanded positions, normalized [0, 1], after the safety layer
STATE = "observation.state"  # measured actuator positions, normalized [0, 1]
LANDMARKS = "observation.landmarks"  # 468 x 3 MediaPipe face-mesh landmarks, flattened
FACE_DETECTED = "observation.face_detected"  # whether MediaPipe found a face in the frame
IMAGE = "observation.images.camera"  # the camera stream (video or image files)

N_MESH_LANDMARKS = 468
