from .streams import streams_page

home = streams_page
