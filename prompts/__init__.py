"""The prompt files, installed as package data of ``litdigest.prompts``."""
