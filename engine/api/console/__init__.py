"""The ops console at /console/: KPIs over time, the live queues, conversations and their timelines.

Server-rendered pages (Jinja2) for people, on the same data and the same roles as the API: a session
cookie stands in for the Bearer key it was exchanged for (sessions.py), and each page reads what the
matching API route reads. The charts are drawn by plotly.js, served from the installed `plotly`
package, so the console works with no network beyond the API itself.
"""
