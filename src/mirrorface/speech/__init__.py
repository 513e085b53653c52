"""Speech in: text (eSpeak NG) or audio, out: phoneme timelines on the audio clock."""
