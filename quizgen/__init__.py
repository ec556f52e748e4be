"""quizgen: endless, exactly checked practice problems for the mathematics of deep learning."""

__version__ = "0.1.0"
