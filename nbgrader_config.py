"""nbgrader settings for the course (read by every `nbgrader` command run in this folder).

The whole series is one nbgrader *assignment* called ``notebooks``: its source is this
repository's ``notebooks/`` folder, so the notebooks you edit are the instructor versions.
``python -m tools.release`` and the tests read these settings too.
"""

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

# source/<assignment> is ./notebooks; release/, submitted/, autograded/, feedback/ sit beside it.
c.CourseDirectory.source_directory = "."
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.keras", "*.h5", "*.weights.h5"]

# What a student finds in place of each solution: it says plainly that it waits for them.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError(\"replace this line with your code\")"
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
